terraform {
  # 1.11: write-only attributes keep the generated signing key out of the state.
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.88: the first release with the write-only secret_string_wo of
      # aws_secretsmanager_secret_version (hashicorp/terraform-provider-aws#41371), which
      # keeps the signing key out of the state; older releases reject the configuration.
      # Below 6.0: 6.x changes schemas this stack uses. The lock file pins the exact one.
      version = ">= 5.88.0, < 6.0.0"
    }
  }

  # State lives in S3; the deploy workflow passes bucket, key and region with
  # `terraform init -backend-config=...` (see README, "Deploy to AWS").
  backend "s3" {}
}

locals {
  default_tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  })
}

provider "aws" {
  region = var.region

  # Only for the deploy rehearsal (tests/infra): every service answers at a moto server on
  # loopback, with fake credentials. Unset (null) in real deployments.
  skip_credentials_validation = var.aws_endpoint_url != null
  skip_metadata_api_check     = var.aws_endpoint_url != null
  s3_use_path_style           = var.aws_endpoint_url != null

  endpoints {
    apigateway     = var.aws_endpoint_url
    apigatewayv2   = var.aws_endpoint_url
    cloudfront     = var.aws_endpoint_url
    cloudwatch     = var.aws_endpoint_url
    cloudwatchlogs = var.aws_endpoint_url
    dynamodb       = var.aws_endpoint_url
    events         = var.aws_endpoint_url
    iam            = var.aws_endpoint_url
    kms            = var.aws_endpoint_url
    lambda         = var.aws_endpoint_url
    s3             = var.aws_endpoint_url
    secretsmanager = var.aws_endpoint_url
    sns            = var.aws_endpoint_url
    sqs            = var.aws_endpoint_url
    sts            = var.aws_endpoint_url
  }

  default_tags {
    tags = local.default_tags
  }
}

# The signing key's own provider configuration (same account and region). It exists because
# `terraform test` mocks the default provider, and mocks cannot run the ephemeral resource
# that generates the key; the test maps this one to a real, never-called provider instead.
provider "aws" {
  alias  = "secrets"
  region = var.region

  skip_credentials_validation = var.aws_endpoint_url != null
  skip_metadata_api_check     = var.aws_endpoint_url != null

  # iam too: with static credentials the provider asks IAM (GetUser) for the account id
  # when it is configured, which would otherwise leave loopback for the real AWS.
  endpoints {
    iam            = var.aws_endpoint_url
    secretsmanager = var.aws_endpoint_url
    sts            = var.aws_endpoint_url
  }

  default_tags {
    tags = local.default_tags
  }
}
