# The HMAC key that signs connection tokens. Secrets Manager generates it once and it is
# written write-only, so it never enters a plan or the state. Kept in a module of its own
# because `terraform test`'s mock provider cannot mock ephemeral resources: the test
# replaces this module with override_module; the deploy rehearsal creates it for real.

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:No rotation Lambda in this stack; rotate with `aws secretsmanager put-secret-value` (README) and the previous key keeps verifying for the grace period.
  name                    = var.name
  description             = "HMAC key that signs connection tokens (AWSCURRENT signs, AWSPREVIOUS verifies during the grace period)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_days
}

ephemeral "aws_secretsmanager_random_password" "this" {
  count = var.generate ? 1 : 0

  password_length     = 64
  exclude_punctuation = true
}

# Bump secret_string_wo_version to have Terraform write a fresh key (or rotate out of band).
resource "aws_secretsmanager_secret_version" "this" {
  secret_id                = aws_secretsmanager_secret.this.id
  secret_string_wo         = var.generate ? ephemeral.aws_secretsmanager_random_password.this[0].random_password : null
  secret_string_wo_version = 1
}
