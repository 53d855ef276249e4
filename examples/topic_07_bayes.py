"""Topic 7, Bayes' rule: posterior = likelihood x prior / evidence, computed in log space.

Checks a disease test (1% prevalence, 90% sensitivity, 5% false positives:
a positive test means only a 2/13 chance of disease), shows the posterior
moving away from the prior as the evidence gets stronger, shows log space
surviving likelihoods that underflow to 0.0 as floats, and classifies the
binarised digits with naive Bayes. Run: python examples/topic_07_bayes.py
"""

import numpy as np
from autograd_lite.distributions import NaiveBayes, bayes_posterior, log_bayes_posterior
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from autograd_lite.demo.examples import BAYES


def main():
    prior = [BAYES.prevalence, 1 - BAYES.prevalence]  # P(disease), P(healthy)
    positive = [BAYES.sensitivity, BAYES.false_positive_rate]  # P(positive | each)
    post = bayes_posterior(prior, positive)
    print(
        f"P(disease | positive) = {post[0]:.6f}  "
        f"(0.009 / (0.009 + 0.0495) = 2/13 = {BAYES.posterior:.6f})"
    )
    assert abs(post[0] - BAYES.posterior) < 1e-15
    again = bayes_posterior(post, positive)  # a second, independent positive test
    print(f"after a second positive test: {again[0]:.4f}")
    assert again[0] > post[0]

    print("prior 50/50; the likelihood ratio grows, the posterior moves away from the prior:")
    for ratio in (1, 2, 4, 16, 64):
        p = bayes_posterior([0.5, 0.5], [ratio / (ratio + 1), 1 / (ratio + 1)])[0]
        print(f"  likelihood ratio {ratio:>2}: P(A | B) = {p:.4f}")
        assert abs(p - ratio / (ratio + 1)) < 1e-12

    log_lik = np.array([-1000.0, -1001.0])  # e^-1000 is 0.0 in float64
    post = np.exp(log_bayes_posterior(np.log([0.5, 0.5]), log_lik))
    print(
        f"likelihoods e^-1000 and e^-1001 (as floats: {np.exp(log_lik).tolist()}): "
        f"posterior {np.round(post, 6).tolist()}"
    )
    assert np.allclose(post, [1 / (1 + np.exp(-1)), 1 / (1 + np.exp(1))])

    x, y = load_digits(return_X_y=True)
    x = (x > 7).astype(float)  # binarise the 0..16 pixel intensities
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.3, random_state=0, stratify=y
    )
    nb = NaiveBayes("bernoulli").fit(x_train, y_train)
    accuracy = nb.score(x_test, y_test)
    print(f"Bernoulli naive Bayes on binarised digits: test accuracy {accuracy:.3f}")
    assert accuracy > 0.8
    print("all topic 7 checks passed")


if __name__ == "__main__":
    main()
