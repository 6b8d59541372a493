"""Where links come from, behind one interface: ELink, the citation services."""
