"""Text: the mention rule, names, derivative series, evidence spans, keywords, stopwords."""
