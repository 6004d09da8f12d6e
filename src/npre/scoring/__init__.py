"""The paper's metric and the prediction files it scores."""
