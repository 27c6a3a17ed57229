output "connect" {
  description = "The $connect function: name, arn, invoke_arn, role_name."
  value       = module.on_connect
}

output "disconnect" {
  description = "The $disconnect function: name, arn, invoke_arn, role_name."
  value       = module.on_disconnect
}

output "rotate_signing_key" {
  description = "The signing key's rotation function: name, arn, invoke_arn, role_name, policy statements."
  value       = module.rotate_signing_key
}

output "rotation_permission" {
  description = "The permission that lets Secrets Manager invoke the rotation function (principal, source account and ARN)."
  value       = aws_lambda_permission.rotate_signing_key
}

output "signing_key_rotation" {
  description = "The signing key's rotation schedule (function ARN, rules), or null where rotation is not configured."
  value       = one(aws_secretsmanager_secret_rotation.signing_key[*])
}

output "sweep_expired" {
  description = "The expiry sweep function (started every minute): name, arn, invoke_arn, role_name, policy statements."
  value       = module.sweep_expired
}
