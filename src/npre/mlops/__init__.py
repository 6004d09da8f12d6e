"""MLflow: tracking, training runs, the grid's logged models, the registry and its champion."""
