"""The almos command line and its reports."""
