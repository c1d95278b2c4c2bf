"""What every domain uses and none owns."""
