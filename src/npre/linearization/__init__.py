"""Documents as token sequences and back: the paper's linearisation, its tokens, the answers."""
