"""News and announcements: written by the program team in Russian and English, targeted, scheduled, pinned;
shown in the News section and on the home page; must-read items record who read them."""
