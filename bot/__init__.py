"""SafeShare HK on Telegram: the relay between Telegram chats and the Rasa assistant (`python -m bot`).

Staff answers reach Telegram chats from the staff console (`safeshare.delivery`), not from here."""
