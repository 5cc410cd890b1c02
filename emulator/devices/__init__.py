"""Device models of the TSAR platform, one module per device."""
