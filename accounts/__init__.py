"""Editors' accounts: logins, roles, and which organisations each editor may publish as."""
