"""The domain package shared by the connect, messaging and broadcast services."""
