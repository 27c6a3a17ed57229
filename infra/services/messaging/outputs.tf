output "message" {
  description = "The $default function: name, arn, invoke_arn, role_name, policy statements."
  value       = module.on_message
}
