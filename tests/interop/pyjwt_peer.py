"""Decodes jwtguard tokens with PyJWT, as Flask-JWT-Extended would.

Reads {"secret": ..., "tokens": [...]} on stdin and verifies each token
(HS256, every registered claim PyJWT checks by default, leeway 0). Prints
one line per token, "ok" or the error PyJWT raised, and exits 1 if any
token was refused.
"""
import json
import sys

import jwt

request = json.load(sys.stdin)
refused = 0
for token in request["tokens"]:
    try:
        jwt.decode(token, request["secret"], algorithms=["HS256"],
                   options={"require": ["exp", "iat", "nbf", "jti", "sub"]})
        print("ok")
    except jwt.PyJWTError as error:  # what a Flask app would answer 401/422 for
        refused += 1
        print(f"{type(error).__name__}: {error}")
sys.exit(1 if refused else 0)
