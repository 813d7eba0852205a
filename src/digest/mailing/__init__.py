"""Mailing: editions, the send log, subscribers and lists, messages, tokens, bounces.

Everything about who gets which edition and what the message says; transports live in
``digest.deliver``.
"""
