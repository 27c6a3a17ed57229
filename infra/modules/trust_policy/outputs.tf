output "json" {
  description = "The trust policy document, JSON-encoded for assume_role_policy."
  value       = local.policy
}
