"""Single sign-on with each organisation's OpenID Connect provider."""
