"""The "Sanaly Urpak" club: memberships, ideas, volunteering and media."""
