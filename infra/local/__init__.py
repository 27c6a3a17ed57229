"""The local stack: DynamoDB Local, an API Gateway WebSocket emulator and a stream poller
that run the same handler functions Lambda runs, on one machine, with no AWS account."""
