"""OAI-PMH 2.0: arguments, tokens, XML assembly and the six verbs."""
