"""Partner merchants: protocol, catalog federation, redemption saga and the reference partner server."""
