"""Your own op: write it, get its gradient wrong on purpose, watch the checks catch it, fix it.

The op is softplus(x) = log(1 + e**x), whose derivative is sigmoid(x). Its forward is
written in numpy (`np.logaddexp` does not overflow); its vjp rule is declared with
`defvjp`. Three rules are tried:

1. a wrong first derivative (sigmoid(x) + 0.01): `gradcheck` catches it;
2. the right first derivative computed on x taken as a plain array (`np.asarray`):
   `gradcheck` passes, and the second derivative refuses with a TypeError naming the op
   (the conversion hides x from the graph, so the second derivative could not be recorded);
3. the right derivative in autograd_lite's functions: `gradcheck` and `gradgradcheck`
   pass, and the Hessian is diag(sigmoid(x) (1 - sigmoid(x))).

Run: python examples/custom_op.py   (see docs/custom_ops.md)
"""

import numpy as np

import autograd_lite as al


def make_softplus(rule):
    """softplus as a primitive with the vjp rule `rule(g, out, x)`."""

    @al.primitive
    def softplus(x):
        return np.logaddexp(0.0, x)

    softplus.defvjp(rule)
    return softplus


def wrong_rule(g, out, x):
    return g * (al.sigmoid(x) + 0.01)  # off by 0.01: a typo-sized mistake


def numpy_rule(g, out, x):
    x = np.asarray(x)  # x as a plain array: right once, but hidden from a second pass
    return g * np.exp(-np.logaddexp(0.0, -x))  # a stable sigmoid


def right_rule(g, out, x):
    return g * al.sigmoid(x)  # autograd_lite's functions: recorded, differentiable again


def main():
    x = al.Tensor([-2.0, 0.0, 1.5], requires_grad=True)

    print("1. wrong rule")
    softplus = make_softplus(wrong_rule)
    try:
        al.gradcheck(softplus, (x,))
        raise SystemExit("gradcheck missed the wrong rule")
    except al.GradcheckError as e:
        print("   gradcheck caught it:\n   " + "\n   ".join(str(e).splitlines()))

    print("2. a rule on x taken as a plain array")
    softplus = make_softplus(numpy_rule)
    assert al.gradcheck(softplus, (x,))
    print("   gradcheck passes")
    try:
        al.gradgradcheck(softplus, (x,))
        raise SystemExit("the second derivative of a rule on a plain array did not refuse")
    except TypeError as e:
        print("   gradgradcheck refuses:", str(e)[:90], "...")

    print("3. right rule in autograd_lite's functions")
    softplus = make_softplus(right_rule)
    assert al.gradcheck(softplus, (x,)) and al.gradgradcheck(softplus, (x,))
    print("   gradcheck and gradgradcheck pass")
    hessian = np.asarray(al.hessian(lambda t: softplus(t).sum())(x.data))
    s = 1.0 / (1.0 + np.exp(-x.data))
    assert np.allclose(hessian, np.diag(s * (1.0 - s)))
    print("   Hessian diagonal:", np.round(np.diag(hessian), 6), "= sigmoid (1 - sigmoid)")
    v = al.Value(0.5)
    softplus(v).backward()
    print(f"   on a Value: d softplus/dx at 0.5 = {v.grad:.6f}")


if __name__ == "__main__":
    main()
