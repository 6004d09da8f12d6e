"""MLflow: tracking, the registry and its champion alias, the pyfunc model, the model card."""
