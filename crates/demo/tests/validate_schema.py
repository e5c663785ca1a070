"""Validates a JSON document against a JSON Schema with the reference Python
implementation; exits 1 and prints the first error when it does not validate."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
document = json.load(open(sys.argv[2]))
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
if errors:
    first = errors[0]
    print(f"{'/'.join(map(str, first.path))}: {first.message}")
    sys.exit(1)
print("valid")
