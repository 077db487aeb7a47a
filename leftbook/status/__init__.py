"""`leftbook status`: what an operator should know about a site, read without disturbing it
(a read-only database connection, short timeouts), with numbers only: no post content and
nothing that identifies a poster."""
