"""The suite's one botocore model loader (tests/support/botocore_models.py) is in force."""

from __future__ import annotations

import boto3
import botocore.session


def test_new_sessions_share_one_model_loader_and_the_models_it_parsed():
    first, second = botocore.session.Session(), botocore.session.Session()
    assert first.get_component("data_loader") is second.get_component("data_loader")
    one = boto3.session.Session(region_name="eu-west-1").client("dynamodb")
    other = boto3.session.Session(region_name="eu-west-1").client("dynamodb")
    # the clients of two sessions are built from one parsed model, not two parses of it
    assert one.meta.service_model._service_description is (
        other.meta.service_model._service_description
    )
