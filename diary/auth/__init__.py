"""Sign-in: the blueprint's pages (routes, forms), passwords, server-side sign-in sessions and
two-factor codes."""
