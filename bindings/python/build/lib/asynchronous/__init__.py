"""The official SDK's asynchronous producer, on liblts."""
