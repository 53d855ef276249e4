"""The worked examples, the backprop explanation, the training runs and the demo."""
