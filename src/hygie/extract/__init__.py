"""Provisioning: from an authorised scope to the project's pseudonymised extract."""
