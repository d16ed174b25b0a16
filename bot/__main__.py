"""`python -m bot`: run the Telegram relay (see bot/relay.py)."""

from bot.relay import main

if __name__ == "__main__":
    main()
