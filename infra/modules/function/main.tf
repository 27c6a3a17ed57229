# One Lambda function with what every function needs: its own role, its own encrypted log
# group with retention, X-Ray tracing and reserved concurrency. What the function may do
# beyond logging and tracing comes in as `policy_statements`, so each service states its
# least privilege next to the code that needs it.

locals {
  log_group_name = "/aws/lambda/${var.name}"
  log_group_arn  = "arn:${var.platform.partition}:logs:${var.platform.region}:${var.platform.account_id}:log-group:${local.log_group_name}"
}

# ---------------------------------------------------------------------------------------
# Role
# ---------------------------------------------------------------------------------------

resource "aws_iam_role" "this" {
  name        = var.name
  description = "Execution role of the ${var.name} Lambda function"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.platform.account_id } }
    }]
  })
}

resource "aws_iam_role_policy" "runtime" {
  name = "runtime"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.log_group_arn}:*"]
      },
      {
        # X-Ray has no resource-level permissions: these two actions only accept "*".
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ]
  })
}

resource "aws_iam_role_policy" "service" {
  name = "service"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = var.policy_statements
  })
}

# ---------------------------------------------------------------------------------------
# Logs and function
# ---------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.platform.log_retention_days
  kms_key_id        = var.platform.kms_key_arn
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously (API Gateway) or by a stream mapping with its own on-failure queue; a function DLQ only catches asynchronous invocations.
  #checkov:skip=CKV_AWS_117:Talks only to DynamoDB, Secrets Manager and the Management API over their public endpoints; a VPC would add NAT cost and cold-start latency and protect nothing.
  #checkov:skip=CKV_AWS_272:Packages are built from the reviewed repository by the deploy workflow; code signing (AWS Signer profiles) is not set up for this stack.
  function_name                  = var.name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  handler                        = var.handler
  runtime                        = "python3.12"
  architectures                  = ["x86_64"]
  filename                       = var.package.file
  source_code_hash               = var.package.hash
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.platform.kms_key_arn

  environment {
    variables = var.environment
  }

  tracing_config {
    mode = var.platform.tracing ? "Active" : "PassThrough"
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.runtime]
}
