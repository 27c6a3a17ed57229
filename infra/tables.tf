# The two tables. Their key schemas must match mediaday/tables.py exactly (the Python
# definitions the tests, the local stack and the handlers use); tests/infra compares them.

locals {
  # Both tables key on pk (partition) and sk (sort), strings.
  key_attributes = { pk = "S", sk = "S" }
}

resource "aws_dynamodb_table" "connections" {
  #checkov:skip=CKV_AWS_28:Connection rows live at most 2 h 15 min; restoring a backup would resurrect connections API Gateway has already closed.
  name         = "${local.name}-connections"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  dynamic "attribute" {
    for_each = merge(local.key_attributes, {
      device_day = "S", device_subject = "S", connected_at = "N", expiry_hour = "N", token_expires_at = "N"
    })
    content {
      name = attribute.key
      type = attribute.value
    }
  }

  # Sparse: only connection rows carry these keys. A media day's devices are one Query.
  global_secondary_index {
    name            = "by_day"
    hash_key        = "device_day"
    range_key       = "connected_at"
    projection_type = "ALL"
  }

  # One subject's connections, newest first: the per-subject cap at $connect reads at most
  # cap + 1 of them, whatever the size of the day. It counts live rows only, so the keys and
  # the TTL are projected, not the whole row written again on every $connect.
  global_secondary_index {
    name               = "by_subject"
    hash_key           = "device_subject"
    range_key          = "connected_at"
    projection_type    = "INCLUDE"
    non_key_attributes = ["expires_at"]
  }

  # The expiry sweep: connections whose token ran out, one Query per hour bucket.
  global_secondary_index {
    name            = "by_token_expiry"
    hash_key        = "expiry_hour"
    range_key       = "token_expires_at"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.stack.arn
  }
}

resource "aws_dynamodb_table" "coordination" {
  name                        = "${local.name}-coordination"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  stream_enabled              = true
  stream_view_type            = "NEW_AND_OLD_IMAGES"
  deletion_protection_enabled = var.deletion_protection

  dynamic "attribute" {
    for_each = merge(local.key_attributes, { rev = "N", talent_slot = "S" })
    content {
      name = attribute.key
      type = attribute.value
    }
  }

  # "What changed since rev N" as a strongly consistent Query: exact resume.
  local_secondary_index {
    name            = "by_rev"
    range_key       = "rev"
    projection_type = "ALL"
  }

  # An athlete's slots around a time (sparse: live slots only), strongly consistent: the
  # double-booking check is one Query per athlete.
  local_secondary_index {
    name            = "by_talent"
    range_key       = "talent_slot"
    projection_type = "ALL"
  }

  # Tombstones of deleted items expire after a week.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.stack.arn
  }
}
