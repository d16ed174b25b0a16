"""SafeShare HK on Telegram: the relay between Telegram chats and the Rasa assistant
(`python -m bot`), and delivery of staff answers to Telegram chats (`bot.delivery`)."""
