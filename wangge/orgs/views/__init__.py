"""Staff pages of the orgs area: home pages per role, the map, the grid editor, grid cards."""
