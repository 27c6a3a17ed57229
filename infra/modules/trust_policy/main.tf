# The trust policy of a role that one AWS service assumes on this account's behalf: that
# service only, and only for this account (aws:SourceAccount guards against the confused
# deputy). Every role of the stack trusts its service this way; no resources here.

locals {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = var.service }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
    }]
  })
}
