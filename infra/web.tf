# The kiosk and crew pages: a private, encrypted bucket that only this stack's CloudFront
# distribution can read (origin access control). The pages take the WebSocket URL from
# their `ws` query parameter (the kiosk_url output carries it) and the token from `token`.

locals {
  content_types = {
    html = "text/html; charset=utf-8"
    css  = "text/css; charset=utf-8"
    js   = "text/javascript; charset=utf-8"
    json = "application/json"
    svg  = "image/svg+xml"
    png  = "image/png"
    ico  = "image/x-icon"
    txt  = "text/plain; charset=utf-8"
  }
  # config.js is the one page file written here, not copied: it names this stack's API.
  web_files = setsubtract(fileset(local.web_dir, "**"), ["config.js"])
  web_host  = var.enable_cdn ? aws_cloudfront_distribution.web[0].domain_name : null
  # The pages' own cache and response headers policies (off only in the rehearsal).
  cdn_policies = var.enable_cdn && !contains(var.rehearsal_omit, "cloudfront_policies")
}

resource "aws_s3_bucket" "web" {
  #checkov:skip=CKV_AWS_18:The bucket is read only by CloudFront; server access logs would need a second bucket and add nothing the CloudFront and CloudTrail records do not show.
  #checkov:skip=CKV_AWS_144:The pages are rebuilt from the repository on every deploy; a cross-region replica protects nothing.
  #checkov:skip=CKV_AWS_21:The pages are rebuilt from the repository on every deploy; git is their version history.
  #checkov:skip=CKV2_AWS_61:Nothing accumulates: a handful of small pages, replaced in place on every deploy, no versions kept.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to page uploads; event notifications would have no consumer.
  bucket_prefix = "${local.name}-web-"
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "web" {
  bucket                  = aws_s3_bucket.web.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "web" {
  bucket = aws_s3_bucket.web.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "web" {
  bucket = aws_s3_bucket.web.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.stack.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_policy" "web" {
  bucket = aws_s3_bucket.web.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      contains(var.rehearsal_omit, "tls_only_bucket_policy") ? [] : [{
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.web.arn, "${aws_s3_bucket.web.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      }],
      var.enable_cdn ? [{
        Sid       = "CloudFrontReadsPages"
        Effect    = "Allow"
        Principal = { Service = "cloudfront.amazonaws.com" }
        Action    = "s3:GetObject"
        Resource  = "${aws_s3_bucket.web.arn}/*"
        Condition = { StringEquals = { "AWS:SourceArn" = aws_cloudfront_distribution.web[0].arn } }
      }] : [],
    )
  })

  depends_on = [aws_s3_bucket_public_access_block.web]
}

resource "aws_s3_object" "web" {
  for_each = local.web_files

  bucket       = aws_s3_bucket.web.id
  key          = each.value
  source       = "${local.web_dir}/${each.value}"
  source_hash  = filemd5("${local.web_dir}/${each.value}")
  content_type = lookup(local.content_types, reverse(split(".", each.value))[0], "application/octet-stream")

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.web]
}

# ---------------------------------------------------------------------------------------
# CloudFront
# ---------------------------------------------------------------------------------------

resource "aws_cloudfront_origin_access_control" "web" {
  count = var.enable_cdn ? 1 : 0

  name                              = "${local.name}-web"
  description                       = "CloudFront signs its requests to the private web bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# The pages are a handful of small files that change with each deploy: edges keep them five
# minutes (not the managed CachingOptimized policy's 24 h), so a fix reaches every kiosk
# within minutes even if the deploy's invalidation (.github/workflows/deploy.yml) is missed.
resource "aws_cloudfront_cache_policy" "pages" {
  count = local.cdn_policies ? 1 : 0

  name        = "${local.name}-pages"
  comment     = "Kiosk and crew pages: five minutes at the edge"
  min_ttl     = 0
  default_ttl = var.page_cache_seconds
  max_ttl     = var.page_cache_seconds

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_brotli = true
    enable_accept_encoding_gzip   = true
    cookies_config {
      cookie_behavior = "none"
    }
    headers_config {
      header_behavior = "none"
    }
    query_strings_config {
      query_string_behavior = "none"
    }
  }
}

# The pages' allow-list of WebSocket APIs (client/web/access.js): this stack's API only, so a
# crafted `?ws=` link cannot send a page's token anywhere else.
resource "aws_s3_object" "web_config" {
  bucket       = aws_s3_bucket.web.id
  key          = "config.js"
  content      = "window.MediaDayConfig = ${jsonencode({ apis = [aws_apigatewayv2_stage.ws.invoke_url] })};\n"
  content_type = local.content_types.js

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.web]
}

# What the managed SecurityHeadersPolicy sent (HSTS, nosniff, frame options, referrer
# policy), plus a strict Content-Security-Policy: scripts, styles and everything else from
# the pages' own origin, WebSocket connections to this stack's API only (its endpoint: the
# stage's URL would make a cycle through the functions' allowed origins), never framed. The
# local emulator sends the same policy (infra/local/pages.py).
resource "aws_cloudfront_response_headers_policy" "pages" {
  count = local.cdn_policies ? 1 : 0

  name    = "${local.name}-pages"
  comment = "Kiosk and crew pages: strict CSP and security headers"

  security_headers_config {
    content_security_policy {
      content_security_policy = join("; ", [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self' ${aws_apigatewayv2_api.ws.api_endpoint}",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "object-src 'none'",
      ])
      override = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "no-referrer"
      override        = true
    }
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
  }
}

resource "aws_cloudfront_distribution" "web" {
  count = var.enable_cdn ? 1 : 0
  #checkov:skip=CKV_AWS_68:Static pages with no secrets or forms (tokens are checked by the WebSocket API, not here); a WAF would cost more than it protects.
  #checkov:skip=CKV2_AWS_47:No WAF (see CKV_AWS_68); the origin is S3, which runs no Log4j.
  #checkov:skip=CKV_AWS_86:Access logs would need an ACL-enabled log bucket; the API's access log records every connection, which is what matters.
  #checkov:skip=CKV_AWS_174:The default *.cloudfront.net certificate fixes the minimum TLS version; set a custom domain and ACM certificate (TLSv1.2_2021) when there is one.
  #checkov:skip=CKV2_AWS_42:No custom domain yet: the default CloudFront certificate serves HTTPS.
  #checkov:skip=CKV_AWS_374:Media days happen anywhere and crews roam; access is guarded by signed tokens on the WebSocket API, not by geography.
  #checkov:skip=CKV_AWS_310:A single S3 origin in one region; a failover origin would be a replica nobody updates.

  enabled             = true
  comment             = "${local.name} kiosk and crew pages"
  default_root_object = "kiosk.html"
  price_class         = "PriceClass_100"
  http_version        = "http2and3"
  # Propagation to every edge takes minutes; the apply need not wait for it.
  wait_for_deployment = false

  origin {
    origin_id                = "web-bucket"
    domain_name              = aws_s3_bucket.web.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.web[0].id
  }

  default_cache_behavior {
    target_origin_id       = "web-bucket"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    compress               = true
    # (the managed CachingOptimized and SecurityHeadersPolicy only in the deploy rehearsal,
    # whose moto has no CloudFront policies: rehearsal_omit cloudfront_policies)
    cache_policy_id            = local.cdn_policies ? aws_cloudfront_cache_policy.pages[0].id : "658327ea-f89d-4fab-a63d-7e88639e58f6"
    response_headers_policy_id = local.cdn_policies ? aws_cloudfront_response_headers_policy.pages[0].id : "67f7725c-6f97-4210-82d7-5512b31e9d03"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
