output "connect" {
  description = "The $connect function: name, arn, invoke_arn, role_name."
  value       = module.on_connect
}

output "disconnect" {
  description = "The $disconnect function: name, arn, invoke_arn, role_name."
  value       = module.on_disconnect
}
