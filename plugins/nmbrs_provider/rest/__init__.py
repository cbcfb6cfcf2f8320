"""Client side of the Nmbrs REST API: connection settings, OAuth 2.0 grant and token store."""
