# Read by the `flask` command (python-dotenv) when run from this checkout: a local demo.
# Production sets PORTAL_ENV=production in its environment, which takes precedence over this file.
PORTAL_ENV=development
