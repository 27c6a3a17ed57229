# The HMAC key that signs connection tokens. Secrets Manager generates the first one and
# it is written write-only, so it never enters a plan or the state; from then on the
# connect service's rotation function (services/connect, aws_secretsmanager_secret_rotation)
# writes a new one on schedule. Kept in a module of its own because `terraform test`'s
# mock provider cannot mock ephemeral resources: the test replaces this module with
# override_module; the deploy rehearsal creates it for real.

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:Rotated every signing_key_rotation_days (default 30) days by aws_secretsmanager_secret_rotation in services/connect; checkov's graph does not follow the secret from this module's output into a sibling module (the same pair in one module passes).
  name                    = var.name
  description             = "HMAC key that signs connection tokens, rotated on schedule by the connect service (AWSCURRENT signs, AWSPREVIOUS verifies during the grace period)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_days
}

ephemeral "aws_secretsmanager_random_password" "this" {
  count = var.generate ? 1 : 0

  password_length     = 64
  exclude_punctuation = true
}

# The first key only. Rotation then adds versions and moves AWSCURRENT away from this one;
# Terraform leaves that alone (version_stages is not configured, so it is only read). For
# a fresh key at once: `aws secretsmanager rotate-secret --secret-id <arn>`.
resource "aws_secretsmanager_secret_version" "this" {
  secret_id                = aws_secretsmanager_secret.this.id
  secret_string_wo         = var.generate ? ephemeral.aws_secretsmanager_random_password.this[0].random_password : null
  secret_string_wo_version = 1
}
