"""Text matching: name normalisation and variants, keywords, stopwords."""
