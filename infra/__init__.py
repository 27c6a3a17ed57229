"""Infrastructure: Terraform for AWS and `infra.local`, the one-command local stack."""
