output "secret_arn" {
  description = "ARN of the signing-key secret."
  value       = aws_secretsmanager_secret.this.arn
  # The version must exist before a function reads AWSCURRENT.
  depends_on = [aws_secretsmanager_secret_version.this]
}
