//! Live discovery against a real `moto_server`: an organization is built with
//! boto3 (an independent client), discovered with orgpool, and the bundle is
//! compared with what boto3 lists.

use std::collections::BTreeSet;

use orgpool_model::{AccountStatus, PolicyType, StackSetPermissionModel};
use orgpool_org::aws::{AwsAccess, load_config};
use orgpool_org::live::{DiscoverOptions, discover};
use orgpool_testkit::MotoServer;

/// Builds a three-level OU tree with accounts, an SCP denying
/// LeaveOrganization on one OU, a tag policy, trusted access and a delegated
/// administrator; prints what boto3 then lists, as JSON.
const SETUP: &str = r#"
import boto3, json, os
org = boto3.client("organizations", endpoint_url=os.environ["MOTO_ENDPOINT"])
org.create_organization(FeatureSet="ALL")
root = org.list_roots()["Roots"][0]["Id"]
org.enable_policy_type(RootId=root, PolicyType="TAG_POLICY")
prod = org.create_organizational_unit(ParentId=root, Name="Prod")["OrganizationalUnit"]["Id"]
apps = org.create_organizational_unit(ParentId=prod, Name="Apps")["OrganizationalUnit"]["Id"]
deep = org.create_organizational_unit(ParentId=apps, Name="Payments")["OrganizationalUnit"]["Id"]
sandbox = org.create_organizational_unit(ParentId=root, Name="Sandbox")["OrganizationalUnit"]["Id"]
ids = []
for i, parent in enumerate([prod, apps, deep, deep, sandbox, root]):
    status = org.create_account(Email="a%d@example.com" % i, AccountName="acct-%d" % i)["CreateAccountStatus"]
    acct = status["AccountId"]
    ids.append(acct)
    if parent != root:
        org.move_account(AccountId=acct, SourceParentId=root, DestinationParentId=parent)
scp = org.create_policy(
    Content=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}),
    Description="no leaving", Name="DenyLeave", Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
org.attach_policy(PolicyId=scp, TargetId=prod)
tag = org.create_policy(
    Content=json.dumps({"tags": {"CostCenter": {"tag_key": {"@@assign": "CostCenter"}}}}),
    Description="cost centers", Name="CostCenterTags", Type="TAG_POLICY")["Policy"]["PolicySummary"]["Id"]
org.attach_policy(PolicyId=tag, TargetId=ids[0])
org.enable_aws_service_access(ServicePrincipal="sso.amazonaws.com")
org.register_delegated_administrator(AccountId=ids[1], ServicePrincipal="guardduty.amazonaws.com")
ep = os.environ["MOTO_ENDPOINT"]
sso = boto3.client("sso-admin", endpoint_url=ep)
instance = sso.list_instances()["Instances"][0]
iarn, store_id = instance["InstanceArn"], instance["IdentityStoreId"]
ps = sso.create_permission_set(InstanceArn=iarn, Name="Admins", Description="admins", SessionDuration="PT4H")["PermissionSet"]["PermissionSetArn"]
sso.attach_managed_policy_to_permission_set(InstanceArn=iarn, PermissionSetArn=ps, ManagedPolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
sso.put_inline_policy_to_permission_set(InstanceArn=iarn, PermissionSetArn=ps, InlinePolicy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}]}))
ids_client = boto3.client("identitystore", endpoint_url=ep)
user = ids_client.create_user(IdentityStoreId=store_id, UserName="ana", DisplayName="Ana", Name={"GivenName": "Ana", "FamilyName": "Lima"})["UserId"]
group = ids_client.create_group(IdentityStoreId=store_id, DisplayName="Platform")["GroupId"]
ids_client.create_group_membership(IdentityStoreId=store_id, GroupId=group, MemberId={"UserId": user})
sso.create_account_assignment(InstanceArn=iarn, TargetId=ids[2], TargetType="AWS_ACCOUNT", PermissionSetArn=ps, PrincipalType="GROUP", PrincipalId=group)
s3 = boto3.client("s3", endpoint_url=ep)
s3.create_bucket(Bucket="org-trail-logs")
ct = boto3.client("cloudtrail", endpoint_url=ep)
ct.create_trail(Name="org-trail", S3BucketName="org-trail-logs", IsMultiRegionTrail=True, IsOrganizationTrail=True)
cfg = boto3.client("config", endpoint_url=ep)
cfg.put_configuration_aggregator(ConfigurationAggregatorName="org-agg",
    OrganizationAggregationSource={"RoleArn": "arn:aws:iam::123456789012:role/config-agg", "AllAwsRegions": True})
ram = boto3.client("ram", endpoint_url=ep)
org_arn = org.describe_organization()["Organization"]["Arn"]
share = ram.create_resource_share(name="shared-subnets", principals=[org_arn], allowExternalPrincipals=False)["resourceShare"]["resourceShareArn"]
cf = boto3.client("cloudformation", endpoint_url=ep)
cf.create_stack_set(StackSetName="org-baseline", PermissionModel="SERVICE_MANAGED",
    TemplateBody=json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))
cf.create_stack_instances(StackSetName="org-baseline", DeploymentTargets={"OrganizationalUnitIds": [prod]}, Regions=["us-east-1"])
stack_accounts = sorted({i["Account"] for i in cf.list_stack_instances(StackSetName="org-baseline")["Summaries"]})
sts = boto3.client("sts", endpoint_url=ep)
c = sts.assume_role(RoleArn="arn:aws:iam::%s:role/OrganizationAccountAccessRole" % ids[3], RoleSessionName="setup")["Credentials"]
member_iam = boto3.client("iam", endpoint_url=ep, aws_access_key_id=c["AccessKeyId"],
                          aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
member_iam.create_role(RoleName="ci-deployer", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % ids[4]}, "Action": "sts:AssumeRole",
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-whatever"}}}]}))
org_id = org.describe_organization()["Organization"]["Id"]
def by_org(action, key="aws:PrincipalOrgID", effect="Allow", resource="*"):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": effect, "Principal": "*", "Action": action,
        "Resource": resource, "Condition": {"StringEquals": {key: org_id}}}]})
s3.put_bucket_policy(Bucket="org-trail-logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
     "Resource": "arn:aws:s3:::org-trail-logs/*", "Condition": {"StringEquals": {"aws:SourceOrgID": org_id}}}]}))
creds = dict(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
m_s3 = boto3.client("s3", endpoint_url=ep, **creds)
m_s3.create_bucket(Bucket="member-artifacts")
m_s3.put_bucket_policy(Bucket="member-artifacts", Policy=by_org("s3:GetObject", resource="arn:aws:s3:::member-artifacts/*"))
m_s3.create_bucket(Bucket="member-plain")
m_s3.put_bucket_policy(Bucket="member-plain", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % ids[4]}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::member-plain/*"}]}))
m_s3.create_bucket(Bucket="member-no-policy")
m_kms = boto3.client("kms", endpoint_url=ep, region_name="us-east-1", **creds)
key = m_kms.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % ids[3]}, "Action": "kms:*", "Resource": "*"},
    {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
     "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": org_id}}}]}))["KeyMetadata"]["Arn"]
m_sqs = boto3.client("sqs", endpoint_url=ep, region_name="us-east-1", **creds)
q = m_sqs.create_queue(QueueName="org-events", Attributes={"Policy": by_org("sqs:SendMessage")})["QueueUrl"]
queue = m_sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
m_sqs.create_queue(QueueName="private-events")
m_sns = boto3.client("sns", endpoint_url=ep, region_name="us-east-1", **creds)
topic = m_sns.create_topic(Name="org-alarms")["TopicArn"]
m_sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=by_org("sns:Publish", key="aws:PrincipalOrgPaths"))
import io, zipfile
code = io.BytesIO()
with zipfile.ZipFile(code, "w") as z:
    z.writestr("handler.py", "def handler(event, context):\n    return event\n")
fn_role = member_iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
m_lambda = boto3.client("lambda", endpoint_url=ep, region_name="us-east-1", **creds)
function = m_lambda.create_function(FunctionName="org-hook", Runtime="python3.11", Role=fn_role, Handler="handler.handler",
    Code={"ZipFile": code.getvalue()})["FunctionArn"]
m_lambda.add_permission(FunctionName="org-hook", StatementId="org", Action="lambda:InvokeFunction", Principal="*", PrincipalOrgID=org_id)
m_lambda.create_function(FunctionName="no-policy", Runtime="python3.11", Role=fn_role, Handler="handler.handler",
    Code={"ZipFile": code.getvalue()})
m_events = boto3.client("events", endpoint_url=ep, region_name="us-east-1", **creds)
m_events.put_permission(EventBusName="default", Action="events:PutEvents", Principal="*", StatementId="org",
    Condition={"Type": "StringEquals", "Key": "aws:PrincipalOrgID", "Value": org_id})
bus = m_events.describe_event_bus(Name="default")["Arn"]
m_ecr = boto3.client("ecr", endpoint_url=ep, region_name="us-east-1", **creds)
repository = m_ecr.create_repository(repositoryName="team/app")["repository"]["repositoryArn"]
m_ecr.set_repository_policy(repositoryName="team/app", policyText=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "org-pulls", "Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}}}]}))
m_ecr.create_repository(repositoryName="no-policy")
m_sm = boto3.client("secretsmanager", endpoint_url=ep, region_name="us-east-1", **creds)
secret = m_sm.create_secret(Name="shared/db", SecretString="x")["ARN"]
m_sm.put_resource_policy(SecretId=secret, ResourcePolicy=by_org("secretsmanager:GetSecretValue"))
m_sm.create_secret(Name="private", SecretString="y")
perimeter = member_iam.create_policy(PolicyName="data-perimeter", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:ResourceOrgID": org_id}}}]}))["Policy"]["Arn"]
member_iam.create_policy(PolicyName="plain-reads", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
member_iam.attach_role_policy(RoleName="ci-deployer", PolicyArn=perimeter)
builder = member_iam.create_user(UserName="builder")["User"]["Arn"]
member_iam.attach_user_policy(UserName="builder", PolicyArn=perimeter)
member_iam.put_role_policy(RoleName="fn-role", PolicyName="org-reads", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceOrgID": org_id}}}]}))
member_iam.create_group(GroupName="ops")
member_iam.put_group_policy(GroupName="ops", PolicyName="ops-reads", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}))
member_iam.create_role(RoleName="app-instance", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
accounts = [a["Id"] for p in org.get_paginator("list_accounts").paginate() for a in p["Accounts"]]
ous = {}
def walk(parent):
    for p in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent):
        for ou in p["OrganizationalUnits"]:
            ous[ou["Id"]] = parent
            walk(ou["Id"])
walk(root)
parents = {a: org.list_parents(ChildId=a)["Parents"][0]["Id"] for a in accounts}
print(json.dumps({"root": root, "accounts": accounts, "parents": parents, "ous": ous,
                  "prod": prod, "scp": scp, "tag": tag, "admin": ids[1], "org": org.describe_organization()["Organization"]["Id"],
                  "ps": ps, "user": user, "group": group, "assigned": ids[2], "share": share, "org_arn": org_arn, "member": ids[3], "trusted": ids[4],
                  "stack_accounts": stack_accounts, "key": key, "queue": queue, "topic": topic,
                  "function": function, "bus": bus, "perimeter": perimeter, "builder": builder, "fn_role": fn_role,
                  "repository": repository, "secret": secret}))
"#;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The SDK configuration for moto: its endpoint, a region and dummy keys.
fn moto_config(rt: &tokio::runtime::Runtime, moto: &MotoServer) -> aws_config::SdkConfig {
    let access = AwsAccess {
        profile: None,
        region: Some("us-east-1".to_owned()),
        endpoint_url: Some(moto.endpoint.clone()),
    };
    let mut config = rt.block_on(load_config(&access)).into_builder();
    config.set_credentials_provider(Some(
        aws_credential_types::provider::SharedCredentialsProvider::new(
            aws_credential_types::Credentials::new("testing", "testing", None, None, "test"),
        ),
    ));
    config.build()
}

#[test]
fn discovery_reads_the_whole_organization_as_boto3_lists_it() {
    let moto = MotoServer::start();
    let expected: serde_json::Value = serde_json::from_str(&moto.boto3(SETUP)).unwrap();
    let rt = runtime();
    let config = moto_config(&rt, &moto);
    let found = rt
        .block_on(discover(&config, &DiscoverOptions::default()))
        .expect("discovery succeeds");
    let b = &found.bundle;
    assert!(found.api_calls >= 10, "{} calls", found.api_calls);
    // The printed least-privilege policy lists exactly the actions called:
    // all but `account:ListRegions`, which only listing every enabled region
    // calls (`regional_services_are_read_in_every_region_asked_for`).
    let mut required: Vec<&str> = orgpool_org::live::required_actions();
    required.retain(|a| *a != orgpool_org::live::LIST_REGIONS);
    required.sort_unstable();
    assert_eq!(found.actions_used, required);
    assert_eq!(b.organization.id, expected["org"].as_str().unwrap());
    assert_eq!(b.roots.len(), 1);
    assert_eq!(b.roots[0].id, expected["root"].as_str().unwrap());
    assert!(
        b.roots[0]
            .enabled_policy_types
            .contains(&PolicyType::TagPolicy)
    );

    // Every OU with its parent, three levels deep.
    let ous: BTreeSet<(String, String)> = b
        .organizational_units
        .iter()
        .map(|o| (o.id.clone(), o.parent_id.clone()))
        .collect();
    let expected_ous: BTreeSet<(String, String)> = expected["ous"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(ous, expected_ous);
    assert_eq!(ous.len(), 4);

    // Every account (the management account too) under its parent.
    let accounts: BTreeSet<(String, String)> = b
        .accounts
        .iter()
        .map(|a| (a.id.clone(), a.parent_id.clone()))
        .collect();
    let expected_accounts: BTreeSet<(String, String)> = expected["parents"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(accounts, expected_accounts);
    assert_eq!(accounts.len(), 7);
    assert!(b.accounts.iter().all(|a| a.status == AccountStatus::Active));
    assert!(
        b.accounts
            .iter()
            .all(|a| a.state.as_deref() == Some("ACTIVE")),
        "AWS's State is kept beside the status"
    );
    assert!(
        b.accounts
            .iter()
            .any(|a| a.id == b.organization.management_account_id)
    );

    // Policies with content and targets.
    let scp = b
        .policies
        .iter()
        .find(|p| p.id == expected["scp"].as_str().unwrap())
        .expect("the SCP");
    assert_eq!(scp.policy_type, PolicyType::ServiceControlPolicy);
    assert_eq!(scp.targets, vec![expected["prod"].as_str().unwrap()]);
    assert_eq!(
        scp.content["Statement"][0]["Action"],
        "organizations:LeaveOrganization"
    );
    assert!(
        b.policies
            .iter()
            .any(|p| p.name == "FullAWSAccess" && p.aws_managed)
    );
    let tag = b
        .policies
        .iter()
        .find(|p| p.id == expected["tag"].as_str().unwrap())
        .expect("the tag policy");
    assert_eq!(tag.policy_type, PolicyType::TagPolicy);
    assert_eq!(tag.targets.len(), 1);

    // The service-managed StackSet with its stack instances' accounts.
    assert_eq!(b.stack_sets.len(), 1);
    let set = &b.stack_sets[0];
    assert_eq!(set.name, "org-baseline");
    assert_eq!(
        set.permission_model,
        StackSetPermissionModel::ServiceManaged
    );
    assert!(!set.retain_stacks_on_account_removal);
    assert_eq!(set.owner_account_id, b.organization.management_account_id);
    let stack_accounts: Vec<&str> = expected["stack_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(!stack_accounts.is_empty());
    assert_eq!(set.stack_instance_account_ids, stack_accounts);

    // Trusted access and delegated administrators.
    assert!(
        b.trusted_services
            .iter()
            .any(|s| s.service_principal == "sso.amazonaws.com")
    );
    assert_eq!(b.delegated_administrators.len(), 1);
    assert_eq!(
        b.delegated_administrators[0].account_id,
        expected["admin"].as_str().unwrap()
    );
    assert_eq!(
        b.delegated_administrators[0].service_principal,
        "guardduty.amazonaws.com"
    );

    // IAM Identity Center: the permission set with its policies, the group
    // assignment, and the identity store.
    assert_eq!(b.identity_center.len(), 1);
    let sso = &b.identity_center[0];
    let ps = sso
        .permission_sets
        .iter()
        .find(|p| p.arn == expected["ps"].as_str().unwrap())
        .expect("the permission set");
    assert_eq!(ps.name, "Admins");
    assert_eq!(ps.session_duration.as_deref(), Some("PT4H"));
    assert_eq!(
        ps.managed_policies,
        vec!["arn:aws:iam::aws:policy/AdministratorAccess"]
    );
    assert_eq!(
        ps.inline_policy.as_ref().unwrap()["Statement"][0]["Action"],
        "iam:CreateUser"
    );
    assert_eq!(sso.account_assignments.len(), 1);
    let assignment = &sso.account_assignments[0];
    assert_eq!(
        assignment.account_id,
        expected["assigned"].as_str().unwrap()
    );
    assert_eq!(assignment.principal_id, expected["group"].as_str().unwrap());
    assert_eq!(
        assignment.principal_type,
        orgpool_model::PrincipalType::Group
    );
    assert_eq!(sso.users.len(), 1);
    assert_eq!(sso.users[0].user_name, "ana");
    assert_eq!(sso.groups.len(), 1);
    assert_eq!(sso.group_memberships.len(), 1);
    assert_eq!(
        sso.group_memberships[0].user_id,
        expected["user"].as_str().unwrap()
    );

    // Org-wide logging and sharing.
    let trail = b
        .cloudtrail_trails
        .iter()
        .find(|t| t.name == "org-trail")
        .expect("the trail");
    assert!(trail.is_organization_trail && trail.is_multi_region_trail);
    assert_eq!(trail.s3_bucket_name, "org-trail-logs");
    assert_eq!(b.config_aggregators.len(), 1);
    assert!(b.config_aggregators[0].organization_wide);
    let share = b
        .ram_shares
        .iter()
        .find(|r| r.arn == expected["share"].as_str().unwrap())
        .expect("the RAM share");
    assert_eq!(
        share.principals,
        vec![expected["org_arn"].as_str().unwrap()]
    );
    assert!(!share.allow_external_principals);
    assert_eq!(b.security_service_admins.len(), 1);
    assert_eq!(b.security_service_admins[0].service, "guardduty");
    // Member accounts, through the assumed role: the cross-account role is
    // kept and classified, the service role is read and left out.
    let ci = b
        .iam_roles
        .iter()
        .find(|r| r.role_name == "ci-deployer")
        .expect("the cross-account role");
    assert_eq!(ci.account_id, expected["member"].as_str().unwrap());
    let trust = ci.trust_analysis();
    assert_eq!(
        trust.cross_account_principals,
        vec![format!(
            "arn:aws:iam::{}:root",
            expected["trusted"].as_str().unwrap()
        )]
    );
    assert_eq!(trust.org_condition_keys, vec!["aws:PrincipalOrgID"]);
    assert!(!b.iam_roles.iter().any(|r| r.role_name == "app-instance"));
    assert!(found.roles_read >= 2);
    // Resource policies, in the management account and through the member
    // role: those naming the organization are kept, with their region; a
    // bucket trusting an account by ID and a bucket without a policy are not.
    let member = expected["member"].as_str().unwrap();
    let management = b.organization.management_account_id.as_str();
    let kept: BTreeSet<(String, &str, orgpool_model::ResourceService, Vec<String>)> = b
        .resource_policies
        .iter()
        .map(|p| {
            assert_eq!(p.region, "us-east-1");
            (
                p.arn.clone(),
                p.account_id.as_str(),
                p.service,
                p.org_condition_keys(),
            )
        })
        .collect();
    use orgpool_model::ResourceService::{Ecr, Events, Kms, Lambda, S3, SecretsManager, Sns, Sqs};
    let keys = |k: &str| vec![k.to_owned()];
    let arn = |k: &str| expected[k].as_str().unwrap().to_owned();
    assert_eq!(
        kept,
        BTreeSet::from([
            (
                "arn:aws:s3:::org-trail-logs".to_owned(),
                management,
                S3,
                keys("aws:SourceOrgID")
            ),
            (
                "arn:aws:s3:::member-artifacts".to_owned(),
                member,
                S3,
                keys("aws:PrincipalOrgID")
            ),
            (arn("key"), member, Kms, keys("aws:PrincipalOrgID")),
            (arn("queue"), member, Sqs, keys("aws:PrincipalOrgID")),
            (arn("topic"), member, Sns, keys("aws:PrincipalOrgPaths")),
            (arn("function"), member, Lambda, keys("aws:PrincipalOrgID")),
            (arn("bus"), member, Events, keys("aws:PrincipalOrgID")),
            (arn("repository"), member, Ecr, keys("aws:PrincipalOrgID")),
            (
                arn("secret"),
                member,
                SecretsManager,
                keys("aws:PrincipalOrgID")
            ),
        ])
    );
    let named = |service| {
        let p = b.resource_policies.iter().find(|p| p.service == service);
        p.map(|p| p.name().to_owned())
    };
    assert_eq!(named(Ecr).as_deref(), Some("team/app"));
    assert_eq!(named(SecretsManager).as_deref(), Some("shared/db"));
    // The nine kept, the plain bucket, and the default policies moto gives
    // a topic: at least eleven read.
    assert!(
        found.resource_policies_read >= 11,
        "{}",
        found.resource_policies_read
    );
    // Identity policies, through the member role: the managed perimeter with
    // the role and the user it is attached to, and the role's inline policy
    // keyed on aws:ResourceOrgID; a plain managed policy and a group's plain
    // inline policy are read, not kept.
    use orgpool_model::IdentityPolicyKind::{Managed, RoleInline};
    type Kept<'a> = (
        String,
        &'a str,
        orgpool_model::IdentityPolicyKind,
        Vec<String>,
        Vec<String>,
    );
    let identities: BTreeSet<Kept> = b
        .identity_policies
        .iter()
        .map(|p| {
            (
                p.label(),
                p.account_id.as_str(),
                p.kind,
                p.org_condition_keys(),
                p.attached_to
                    .iter()
                    .cloned()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            )
        })
        .collect();
    let ci_arn = format!("arn:aws:iam::{member}:role/ci-deployer");
    assert_eq!(
        identities,
        BTreeSet::from([
            (
                arn("perimeter"),
                member,
                Managed,
                keys("aws:ResourceOrgID"),
                BTreeSet::from([ci_arn, arn("builder")])
                    .into_iter()
                    .collect()
            ),
            (
                format!("{}#org-reads", arn("fn_role")),
                member,
                RoleInline,
                keys("aws:ResourceOrgID"),
                vec![arn("fn_role")]
            ),
        ])
    );
    let perimeter = b
        .identity_policies
        .iter()
        .find(|p| p.kind == Managed)
        .unwrap();
    assert_eq!(perimeter.name, "data-perimeter");
    assert_eq!(perimeter.version_id.as_deref(), Some("v1"));
    assert!(
        found.identity_policies_read >= 4,
        "{}",
        found.identity_policies_read
    );
    assert!(b.gaps.is_empty(), "{:?}", b.gaps);

    // The bundle round-trips through the validating reader.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("org.json");
    orgpool_org::write_bundle(b, &path).unwrap();
    assert_eq!(&orgpool_org::read_bundle(&path).unwrap(), b);
}

#[test]
fn outside_an_organization_discovery_says_so() {
    let moto = MotoServer::start();
    let rt = runtime();
    let err = rt
        .block_on(discover(
            &moto_config(&rt, &moto),
            &DiscoverOptions::default(),
        ))
        .unwrap_err();
    assert!(err.is_bad_input(), "{err}");
    assert!(err.to_string().contains("DescribeOrganization"), "{err}");
}

/// Saves what the `aws` CLI would print for each command `from_cli` reads,
/// named as `docs/from-cli.md` says, from boto3 calls to the same server.
const EXPORT: &str = r#"
import boto3, json, os, sys
ep, out = os.environ["MOTO_ENDPOINT"], sys.argv[1]
def save(name, resp):
    resp.pop("ResponseMetadata", None)
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(resp, f, default=str)
def save_in(folder, name, call, no_policy=None):
    from botocore.exceptions import ClientError
    os.makedirs(folder, exist_ok=True)
    try:
        resp = dict(call())
    except ClientError as e:
        if e.response["Error"]["Code"] != no_policy:
            raise
        resp = {}
    resp.pop("ResponseMetadata", None)
    with open(os.path.join(folder, name + ".json"), "w") as f:
        if resp:
            json.dump(resp, f, default=str)
org = boto3.client("organizations", endpoint_url=ep)
save("describe-organization", org.describe_organization())
roots = org.list_roots(); save("list-roots", roots)
queue = [r["Id"] for r in roots["Roots"]]
while queue:
    parent = queue.pop()
    ous = org.list_organizational_units_for_parent(ParentId=parent)
    save("list-organizational-units-for-parent-" + parent, ous)
    queue += [o["Id"] for o in ous["OrganizationalUnits"]]
    save("list-accounts-for-parent-" + parent, org.list_accounts_for_parent(ParentId=parent))
for t in ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "TAG_POLICY", "BACKUP_POLICY", "AISERVICES_OPT_OUT_POLICY"]:
    try:
        ps = org.list_policies(Filter=t)
    except Exception:
        continue
    save("list-policies-" + t, ps)
    for p in ps["Policies"]:
        save("describe-policy-" + p["Id"], org.describe_policy(PolicyId=p["Id"]))
        save("list-targets-for-policy-" + p["Id"], org.list_targets_for_policy(PolicyId=p["Id"]))
save("list-aws-service-access-for-organization", org.list_aws_service_access_for_organization())
admins = org.list_delegated_administrators(); save("list-delegated-administrators", admins)
for a in admins["DelegatedAdministrators"]:
    save("list-delegated-services-for-account-" + a["Id"], org.list_delegated_services_for_account(AccountId=a["Id"]))
sso = boto3.client("sso-admin", endpoint_url=ep)
inst = sso.list_instances(); save("sso-admin-list-instances", inst)
iarn, store = inst["Instances"][0]["InstanceArn"], inst["Instances"][0]["IdentityStoreId"]
sets = sso.list_permission_sets(InstanceArn=iarn); save("sso-admin-list-permission-sets", sets)
accounts = [a["Id"] for a in org.list_accounts()["Accounts"]]
for ps in sets["PermissionSets"]:
    tail = ps.rsplit("/", 1)[1]
    save("sso-admin-describe-permission-set-" + tail, sso.describe_permission_set(InstanceArn=iarn, PermissionSetArn=ps))
    save("sso-admin-list-managed-policies-in-permission-set-" + tail, sso.list_managed_policies_in_permission_set(InstanceArn=iarn, PermissionSetArn=ps))
    save("sso-admin-list-customer-managed-policy-references-in-permission-set-" + tail, sso.list_customer_managed_policy_references_in_permission_set(InstanceArn=iarn, PermissionSetArn=ps))
    save("sso-admin-get-inline-policy-for-permission-set-" + tail, sso.get_inline_policy_for_permission_set(InstanceArn=iarn, PermissionSetArn=ps))
    for a in accounts:
        r = sso.list_account_assignments(InstanceArn=iarn, AccountId=a, PermissionSetArn=ps)
        if r["AccountAssignments"]:
            save("sso-admin-list-account-assignments-%s-%s" % (a, tail), r)
ids = boto3.client("identitystore", endpoint_url=ep)
save("identitystore-list-users", ids.list_users(IdentityStoreId=store))
groups = ids.list_groups(IdentityStoreId=store); save("identitystore-list-groups", groups)
for g in groups["Groups"]:
    save("identitystore-list-group-memberships-" + g["GroupId"], ids.list_group_memberships(IdentityStoreId=store, GroupId=g["GroupId"]))
# In each active account, with its own credentials (the management account's
# own, a member's through the role orgpool discover assumes).
me = boto3.client("sts", endpoint_url=ep).get_caller_identity()["Account"]
for a in org.list_accounts()["Accounts"]:
    if a["Status"] != "ACTIVE":
        continue
    creds = {}
    if a["Id"] != me:
        c = boto3.client("sts", endpoint_url=ep).assume_role(
            RoleArn="arn:aws:iam::%s:role/OrganizationAccountAccessRole" % a["Id"], RoleSessionName="export")["Credentials"]
        creds = dict(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    iam = boto3.client("iam", endpoint_url=ep, **creds)
    pages = iam.get_paginator("get_account_authorization_details").paginate(Filter=["LocalManagedPolicy", "Role", "User", "Group"])
    details = pages.build_full_result()
    save("iam-get-account-authorization-details-" + a["Id"], details)
    # Its resource policies, as the docs' script saves them: S3 once, the
    # rest per region; "no policy" errors as {}; an answer without fields as
    # the CLI prints it, nothing.
    acct = os.path.join(out, "resource-policies", a["Id"])
    s3 = boto3.client("s3", endpoint_url=ep, region_name="us-east-1", **creds)
    buckets = s3.list_buckets(); save_in(acct, "s3api-list-buckets", lambda: buckets)
    for b in buckets["Buckets"]:
        n = b["Name"]
        save_in(acct, "s3api-get-bucket-location-" + n, lambda: s3.get_bucket_location(Bucket=n))
        save_in(acct, "s3api-get-bucket-policy-" + n, lambda: s3.get_bucket_policy(Bucket=n), "NoSuchBucketPolicy")
    for r in ["us-east-1"]:
        d = os.path.join(acct, r)
        client = lambda service: boto3.client(service, endpoint_url=ep, region_name=r, **creds)
        kms = client("kms"); keys = kms.list_keys(); save_in(d, "kms-list-keys", lambda: keys)
        save_in(d, "kms-list-aliases", kms.list_aliases)
        for k in keys["Keys"]:
            save_in(d, "kms-get-key-policy-" + k["KeyId"], lambda: kms.get_key_policy(KeyId=k["KeyId"], PolicyName="default"))
        sqs = client("sqs"); queues = sqs.list_queues(); save_in(d, "sqs-list-queues", lambda: queues)
        for u in queues.get("QueueUrls", []):
            save_in(d, "sqs-get-queue-attributes-" + u.rsplit("/", 1)[1],
                    lambda: sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["Policy", "QueueArn"]))
        sns = client("sns"); topics = sns.list_topics(); save_in(d, "sns-list-topics", lambda: topics)
        for t in topics["Topics"]:
            save_in(d, "sns-get-topic-attributes-" + t["TopicArn"].rsplit(":", 1)[1], lambda: sns.get_topic_attributes(TopicArn=t["TopicArn"]))
        fns = client("lambda"); functions = fns.list_functions(); save_in(d, "lambda-list-functions", lambda: functions)
        for fn in functions["Functions"]:
            save_in(d, "lambda-get-policy-" + fn["FunctionName"], lambda: fns.get_policy(FunctionName=fn["FunctionName"]), "ResourceNotFoundException")
        save_in(d, "events-list-event-buses", client("events").list_event_buses)
        ecr = client("ecr"); repositories = ecr.describe_repositories(); save_in(d, "ecr-describe-repositories", lambda: repositories)
        for rep in repositories["repositories"]:
            save_in(d, "ecr-get-repository-policy-" + rep["repositoryName"].replace("/", "%2F"),
                    lambda: ecr.get_repository_policy(repositoryName=rep["repositoryName"]), "RepositoryPolicyNotFoundException")
        sm = client("secretsmanager"); secrets = sm.list_secrets(); save_in(d, "secretsmanager-list-secrets", lambda: secrets)
        for sec in secrets["SecretList"]:
            save_in(d, "secretsmanager-get-resource-policy-" + sec["Name"].replace("/", "%2F"), lambda: sm.get_resource_policy(SecretId=sec["ARN"]))
# The regional services, per region (here the one region SETUP uses).
for r in ["us-east-1"]:
    ct = boto3.client("cloudtrail", endpoint_url=ep, region_name=r)
    save("cloudtrail-describe-trails-" + r, ct.describe_trails(includeShadowTrails=True))
    cfg = boto3.client("config", endpoint_url=ep, region_name=r)
    save("configservice-describe-configuration-aggregators-" + r, cfg.describe_configuration_aggregators())
    ram = boto3.client("ram", endpoint_url=ep, region_name=r)
    save("ram-get-resource-shares-" + r, ram.get_resource_shares(resourceOwner="SELF"))
    for kind in ["PRINCIPAL", "RESOURCE"]:
        save("ram-get-resource-share-associations-%s-%s" % (kind, r), ram.get_resource_share_associations(associationType=kind))
    cf = boto3.client("cloudformation", endpoint_url=ep, region_name=r)
    stack_sets = cf.list_stack_sets(Status="ACTIVE"); save("cloudformation-list-stack-sets-" + r, stack_sets)
    for s in stack_sets["Summaries"]:
        name = s["StackSetName"]
        save("cloudformation-list-stack-instances-%s-%s" % (r, name), cf.list_stack_instances(StackSetName=name))
"#;

/// Runs [`EXPORT`] against `moto`, saving into `dir/saved`, which it returns.
fn save_with_boto3(moto: &MotoServer, dir: &std::path::Path) -> std::path::PathBuf {
    let script = dir.join("export.py");
    std::fs::write(&script, EXPORT).unwrap();
    let saved = dir.join("saved");
    std::fs::create_dir(&saved).unwrap();
    let out = std::process::Command::new(orgpool_testkit::python())
        .arg(&script)
        .arg(&saved)
        .envs(moto.env())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    saved
}

#[test]
fn saved_cli_outputs_give_the_same_inventory_as_live_discovery() {
    let moto = MotoServer::start();
    moto.boto3(SETUP);
    let dir = tempfile::tempdir().unwrap();
    let saved = save_with_boto3(&moto, dir.path());

    let rt = runtime();
    let live = rt
        .block_on(discover(
            &moto_config(&rt, &moto),
            &DiscoverOptions::default(),
        ))
        .unwrap()
        .bundle;
    let files = orgpool_org::from_cli::read(&saved).expect("the saved outputs read");
    assert_eq!(files.organization, live.organization);
    assert_eq!(files.roots, live.roots);
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let keys = |b: &orgpool_model::OrgBundle| {
        (
            sorted(
                b.organizational_units
                    .iter()
                    .map(|o| format!("{o:?}"))
                    .collect(),
            ),
            sorted(b.accounts.iter().map(|a| format!("{a:?}")).collect()),
            sorted(b.policies.iter().map(|p| format!("{p:?}")).collect()),
            sorted(
                b.trusted_services
                    .iter()
                    .map(|t| t.service_principal.clone())
                    .collect(),
            ),
            sorted(
                b.delegated_administrators
                    .iter()
                    .map(|d| format!("{}:{}", d.account_id, d.service_principal))
                    .collect(),
            ),
        )
    };
    assert_eq!(keys(&files), keys(&live));
    let (a, b) = (&files.identity_center[0], &live.identity_center[0]);
    assert_eq!(a.permission_sets, b.permission_sets);
    assert_eq!(a.account_assignments, b.account_assignments);
    assert_eq!(a.users, b.users);
    assert_eq!(a.groups, b.groups);
    assert_eq!(a.group_memberships, b.group_memberships);
    // Each account's saved IAM details give the roles and identity policies
    // discovery keeps live.
    let by_arn = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let roles = |b: &orgpool_model::OrgBundle| {
        by_arn(b.iam_roles.iter().map(|r| format!("{r:?}")).collect())
    };
    let identity = |b: &orgpool_model::OrgBundle| {
        by_arn(
            b.identity_policies
                .iter()
                .map(|p| format!("{p:?}"))
                .collect(),
        )
    };
    assert!(!live.iam_roles.is_empty() && !live.identity_policies.is_empty());
    assert_eq!(roles(&files), roles(&live));
    assert_eq!(identity(&files), identity(&live));
    // The regional services saved per region give what discovery reads in
    // the same region.
    assert!(!live.cloudtrail_trails.is_empty() && !live.ram_shares.is_empty());
    assert!(!live.config_aggregators.is_empty() && !live.stack_sets.is_empty());
    assert_eq!(files.cloudtrail_trails, live.cloudtrail_trails);
    assert_eq!(files.config_aggregators, live.config_aggregators);
    assert_eq!(files.ram_shares, live.ram_shares);
    assert_eq!(files.stack_sets, live.stack_sets);
    assert_eq!(files.security_service_admins, live.security_service_admins);
    // Each account's saved resource policies give those discovery keeps,
    // ECR's `team/app` and the secret `shared/db` among them (a `/` in a
    // file name written `%2F`).
    let resource = |b: &orgpool_model::OrgBundle| {
        by_arn(
            b.resource_policies
                .iter()
                .map(|p| format!("{p:?}"))
                .collect(),
        )
    };
    let services: BTreeSet<_> = live.resource_policies.iter().map(|p| p.service).collect();
    assert_eq!(
        services.len(),
        8,
        "every service: {:?}",
        live.resource_policies
    );
    assert_eq!(resource(&files), resource(&live));
    // Everything was saved: no gap.
    assert_eq!(files.gaps, Vec::new());
    resource_policy_files_missing_are_gaps(&saved, &live);

    // An account whose IAM details were not saved is a gap for it; with none
    // saved at all, one gap for the organization; a saved file without its
    // lists is an error naming the file and the list.
    let iam_files: Vec<(std::path::PathBuf, String)> = std::fs::read_dir(&saved)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.to_string_lossy()
                .contains("iam-get-account-authorization-details-")
        })
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    let holder = live.identity_policies[0].account_id.clone();
    let held = saved.join(format!(
        "iam-get-account-authorization-details-{holder}.json"
    ));
    std::fs::remove_file(&held).unwrap();
    let partial = orgpool_org::from_cli::read(&saved).unwrap();
    let account_gaps: Vec<(&str, &str)> = scopes_and_apis(&partial)
        .into_iter()
        .filter(|(scope, _)| *scope == holder)
        .collect();
    assert_eq!(
        account_gaps,
        scoped(holder.as_str(), &orgpool_org::from_cli::IAM_FROM_FILES)
    );
    assert!(
        partial
            .identity_policies
            .iter()
            .all(|p| p.account_id != holder)
    );
    std::fs::write(&held, r#"{"RoleDetailList": [], "Policies": []}"#).unwrap();
    let err = orgpool_org::from_cli::read(&saved).unwrap_err();
    assert!(err.is_bad_input());
    assert!(
        err.to_string().contains(&format!("{}", held.display())),
        "{err}"
    );
    assert!(err.to_string().contains("UserDetailList"), "{err}");
    for (f, _) in &iam_files {
        let _ = std::fs::remove_file(f);
    }
    let none = orgpool_org::from_cli::read(&saved).unwrap();
    let gaps = scopes_and_apis(&none);
    let iam_gaps = scoped("organization", &orgpool_org::from_cli::IAM_FROM_FILES);
    assert_eq!(gaps[..2], iam_gaps[..]);
    assert!(none.iam_roles.is_empty() && none.identity_policies.is_empty());
    for (f, text) in &iam_files {
        std::fs::write(f, text).unwrap();
    }

    // A missing optional file is a gap; a broken required one an error naming it.
    std::fs::remove_file(saved.join("list-aws-service-access-for-organization.json")).unwrap();
    let partial = orgpool_org::from_cli::read(&saved).unwrap();
    assert!(partial.trusted_services.is_empty());
    assert_eq!(partial.gaps.len(), files.gaps.len() + 1);
    assert!(
        partial.gaps[0]
            .api
            .contains("list-aws-service-access-for-organization")
    );
    std::fs::write(saved.join("list-roots.json"), "{\"Roots\": ").unwrap();
    let err = orgpool_org::from_cli::read(&saved).unwrap_err();
    assert!(err.is_bad_input());
    assert!(
        err.to_string().contains("list-roots.json: not JSON"),
        "{err}"
    );
    std::fs::write(saved.join("list-roots.json"), "{\"Nope\": []}").unwrap();
    let err = orgpool_org::from_cli::read(&saved).unwrap_err();
    assert!(err.to_string().contains("no list \"Roots\""), "{err}");
    std::fs::remove_file(saved.join("describe-organization.json")).unwrap();
    let err = orgpool_org::from_cli::read(&saved).unwrap_err();
    assert!(
        err.to_string().contains("describe-organization.json"),
        "{err}"
    );
    let empty = tempfile::tempdir().unwrap();
    assert!(
        orgpool_org::from_cli::read(empty.path())
            .unwrap_err()
            .is_bad_input()
    );
}

/// Each gap of `bundle` as (scope, API), in order.
fn scopes_and_apis(bundle: &orgpool_model::OrgBundle) -> Vec<(&str, &str)> {
    bundle
        .gaps
        .iter()
        .map(|g| (g.scope.as_str(), g.api.as_str()))
        .collect()
}

/// One (scope, API) pair per API of `apis`, all in `scope`.
fn scoped<'a>(scope: &'a str, apis: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    apis.iter().map(|api| (scope, *api)).collect()
}

/// The script `docs/from-cli.md` gives users, taken from the page itself.
fn docs_export_script() -> String {
    let page = std::fs::read_to_string(orgpool_testkit::workspace().join("docs/from-cli.md"))
        .expect("docs/from-cli.md");
    let start = page.find("```bash\n").expect("the page has a bash script") + "```bash\n".len();
    let len = page[start..].find("\n```").expect("the script ends");
    page[start..start + len + 1].to_owned()
}

/// The docs' script, run as a user runs it (bash, the `aws` CLI pinned in the
/// test venv, jq) against moto, saves what `org from-cli` reads: the same
/// bundle as the boto3 export above, which the test before this one holds to
/// live discovery. Its regions are given with `REGIONS` (moto does not answer
/// `account list-regions`).
#[test]
fn the_docs_export_script_saves_what_from_cli_reads() {
    let moto = MotoServer::start();
    moto.boto3(SETUP);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("export.sh");
    std::fs::write(&script, docs_export_script()).unwrap();
    let saved = dir.path().join("by-script");
    // The pinned CLI, told the server's address on each command line: the
    // CLI v1 keeps its own endpoint for SQS whatever `AWS_ENDPOINT_URL` says.
    let venv_aws = orgpool_testkit::python().with_file_name("aws");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::write(
        bin.join("aws"),
        format!(
            "#!/bin/sh\nexec '{}' --endpoint-url \"$MOTO_ENDPOINT\" \"$@\"\n",
            venv_aws.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        bin.join("aws"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg(&saved)
        .envs(moto.env())
        .env("REGIONS", "us-east-1")
        .env("PATH", path)
        .output()
        .expect("bash runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the docs' script failed:\n{stderr}");
    let by_script = orgpool_org::from_cli::read(&saved).expect("the script's files read");
    let by_boto3 = orgpool_org::from_cli::read(&save_with_boto3(&moto, dir.path())).unwrap();
    assert!(!by_script.accounts.is_empty() && !by_script.resource_policies.is_empty());
    assert_eq!(by_script.gaps, Vec::new(), "{stderr}");
    assert_eq!(comparable(&by_script), comparable(&by_boto3));
}

/// `bundle` as JSON without what tells two exports apart (when and from
/// where it was made), its times to the second: the CLI prints whole seconds
/// where boto3's JSON keeps microseconds.
fn comparable(bundle: &orgpool_model::OrgBundle) -> serde_json::Value {
    fn to_seconds(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => {
                if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
                    *s = t.timestamp().to_string();
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(to_seconds),
            serde_json::Value::Object(fields) => fields.values_mut().for_each(to_seconds),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(bundle).unwrap();
    v["generated_at"] = serde_json::Value::Null;
    v["source"] = serde_json::Value::Null;
    to_seconds(&mut v);
    v
}

/// What is missing among the saved resource policies is a gap, never a
/// silent "none": a resource's file (a gap naming it), a region's folder (a
/// gap for each policy read there), the whole folder (one gap per read for
/// the organization).
fn resource_policy_files_missing_are_gaps(
    saved: &std::path::Path,
    live: &orgpool_model::OrgBundle,
) {
    let secret = live
        .resource_policies
        .iter()
        .find(|p| p.service == orgpool_model::ResourceService::SecretsManager)
        .unwrap();
    let member = secret.account_id.clone();
    let region_dir = saved
        .join("resource-policies")
        .join(&member)
        .join("us-east-1");
    let file = region_dir.join("secretsmanager-get-resource-policy-shared%2Fdb.json");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    let partial = orgpool_org::from_cli::read(saved).unwrap();
    assert_eq!(partial.gaps.len(), 1, "{:?}", partial.gaps);
    let gap = &partial.gaps[0];
    assert_eq!(
        (gap.scope.as_str(), gap.api.as_str()),
        (member.as_str(), "secretsmanager:GetResourcePolicy")
    );
    assert!(gap.error.contains(&secret.arn), "{}", gap.error);
    assert!(gap.error.contains("shared%2Fdb.json"), "{}", gap.error);
    assert_eq!(
        partial.resource_policies.len(),
        live.resource_policies.len() - 1
    );
    assert!(
        !partial
            .resource_policies
            .iter()
            .any(|p| p.arn == secret.arn)
    );
    std::fs::write(&file, text).unwrap();

    let away = saved.join("member-region-away");
    std::fs::rename(&region_dir, &away).unwrap();
    let partial = orgpool_org::from_cli::read(saved).unwrap();
    let apis: Vec<&str> = partial
        .gaps
        .iter()
        .map(|g| {
            assert_eq!(g.scope, member);
            assert!(g.error.contains("in us-east-1"), "{}", g.error);
            g.api.as_str()
        })
        .collect();
    let regional: Vec<&str> = orgpool_org::live::POLICY_READS[1..].to_vec();
    assert_eq!(apis, regional, "every read but S3's, which is per account");
    assert!(
        partial
            .resource_policies
            .iter()
            .all(|p| p.account_id != member || p.service == orgpool_model::ResourceService::S3)
    );
    std::fs::rename(&away, &region_dir).unwrap();

    let all = saved.join("resource-policies");
    let away = saved.join("resource-policies-away");
    std::fs::rename(&all, &away).unwrap();
    let none = orgpool_org::from_cli::read(saved).unwrap();
    assert_eq!(
        scopes_and_apis(&none),
        scoped("organization", &orgpool_org::live::POLICY_READS)
    );
    assert!(none.resource_policies.is_empty());
    std::fs::rename(&away, &all).unwrap();
}

#[test]
fn a_denied_api_becomes_a_gap_and_discovery_goes_on() {
    // moto enforces IAM policies after its first three requests: those create
    // an administrator whose keys do the rest of the set-up.
    let moto = MotoServer::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
    let keys = moto.boto3(
        r#"
import boto3, json, os
ep = os.environ["MOTO_ENDPOINT"]
iam = boto3.client("iam", endpoint_url=ep)
iam.create_user(UserName="admin")
iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
k = iam.create_access_key(UserName="admin")["AccessKey"]
admin = dict(endpoint_url=ep, aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
org = boto3.client("organizations", **admin)
org.create_organization(FeatureSet="ALL")
iam = boto3.client("iam", **admin)
iam.create_user(UserName="reader")
iam.put_user_policy(UserName="reader", PolicyName="orgs-only", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "organizations:*", "Resource": "*"}]}))
r = iam.create_access_key(UserName="reader")["AccessKey"]
print(json.dumps([r["AccessKeyId"], r["SecretAccessKey"]]))
"#,
    );
    let keys: Vec<String> = serde_json::from_str(keys.trim()).unwrap();
    let rt = runtime();
    let mut config = moto_config(&rt, &moto).into_builder();
    config.set_credentials_provider(Some(
        aws_credential_types::provider::SharedCredentialsProvider::new(
            aws_credential_types::Credentials::new(&keys[0], &keys[1], None, None, "test"),
        ),
    ));
    let found = rt
        .block_on(discover(&config.build(), &DiscoverOptions::default()))
        .expect("a reader of Organizations alone still gets a bundle");
    let b = &found.bundle;
    assert!(!b.accounts.is_empty());
    let denied: Vec<&str> = b.gaps.iter().map(|g| g.api.as_str()).collect();
    assert!(denied.contains(&"cloudtrail:DescribeTrails"), "{denied:?}");
    assert!(b.cloudtrail_trails.is_empty());
    // The management account's resource and identity policies, denied too:
    // a gap per service listed, scoped to the account, and discovery went on.
    for api in [
        "s3:ListAllMyBuckets",
        "kms:ListKeys",
        "sqs:ListQueues",
        "sns:ListTopics",
        "ecr:DescribeRepositories",
        "secretsmanager:ListSecrets",
        "iam:GetAccountAuthorizationDetails",
    ] {
        let gap = b.gaps.iter().find(|g| g.api == api);
        let gap = gap.unwrap_or_else(|| panic!("no gap for {api}: {denied:?}"));
        assert_eq!(gap.scope, b.organization.management_account_id);
    }
    assert!(
        b.gaps.iter().all(|g| !g.error.is_empty()),
        "every gap carries AWS's error"
    );
}

/// An organization with its regional services in two regions: in us-east-1 a
/// multi-region organization trail and a RAM share to the organization; in
/// eu-west-1 a one-region trail, a RAM share, a Config aggregator and a
/// StackSet. Prints their ARNs (and the StackSet's ID), as JSON.
const TWO_REGIONS: &str = r#"
import boto3, json, os
ep = os.environ["MOTO_ENDPOINT"]
org = boto3.client("organizations", endpoint_url=ep)
org.create_organization(FeatureSet="ALL")
org_arn = org.describe_organization()["Organization"]["Arn"]
out = {"shares": {}, "trails": {}}
for region in ["us-east-1", "eu-west-1"]:
    s3 = boto3.client("s3", endpoint_url=ep, region_name=region)
    bucket = "logs-" + region
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    ct = boto3.client("cloudtrail", endpoint_url=ep, region_name=region)
    trail = ct.create_trail(Name="trail-" + region, S3BucketName=bucket,
                            IsMultiRegionTrail=region == "us-east-1", IsOrganizationTrail=region == "us-east-1")
    out["trails"][region] = trail["TrailARN"]
    ram = boto3.client("ram", endpoint_url=ep, region_name=region)
    out["shares"][region] = ram.create_resource_share(name="share-" + region, principals=[org_arn])["resourceShare"]["resourceShareArn"]
    org_id = org.describe_organization()["Organization"]["Id"]
    by_org = lambda action: json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": action, "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}}}]})
    sns = boto3.client("sns", endpoint_url=ep, region_name=region)
    topic = sns.create_topic(Name="alarms-" + region)["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=by_org("sns:Publish"))
    out.setdefault("topics", {})[region] = topic
    if region == "eu-west-1":
        s3.put_bucket_policy(Bucket=bucket, Policy=by_org("s3:GetObject"))
        out["bucket"] = "arn:aws:s3:::" + bucket
eu = dict(endpoint_url=ep, region_name="eu-west-1")
cfg = boto3.client("config", **eu)
out["aggregator"] = cfg.put_configuration_aggregator(ConfigurationAggregatorName="eu-agg",
    OrganizationAggregationSource={"RoleArn": "arn:aws:iam::123456789012:role/config-agg", "AllAwsRegions": False,
                                   "AwsRegions": ["eu-west-1"]})["ConfigurationAggregator"]["ConfigurationAggregatorArn"]
cf = boto3.client("cloudformation", **eu)
out["stack_set"] = cf.create_stack_set(StackSetName="eu-baseline", PermissionModel="SERVICE_MANAGED",
    TemplateBody=json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))["StackSetId"]
print(json.dumps(out))
"#;

/// Trails, RAM shares, Config aggregators and StackSets live in one region
/// each. Read in the configured region only, discovery misses eu-west-1's;
/// with both regions listed it finds every one, the multi-region trail once;
/// asked for every enabled region, it lists them with `account:ListRegions`,
/// which moto does not serve: the gap says so and the configured region is
/// read.
#[test]
fn regional_services_are_read_in_every_region_asked_for() {
    use orgpool_org::live::Regions;
    let moto = MotoServer::start();
    let made: serde_json::Value = serde_json::from_str(moto.boto3(TWO_REGIONS).trim()).unwrap();
    let rt = runtime();
    let config = moto_config(&rt, &moto);
    let run_with = |regions: Regions, policies: bool| {
        let options = DiscoverOptions {
            regions,
            resource_policies: policies,
            identity_policies: policies,
            ..DiscoverOptions::default()
        };
        rt.block_on(discover(&config, &options))
            .expect("discovery succeeds")
    };
    let run = |regions: Regions| run_with(regions, true);
    let arns = |found: &orgpool_org::live::Discovery| -> BTreeSet<String> {
        let b = &found.bundle;
        let trails = b.cloudtrail_trails.iter().map(|t| t.arn.clone());
        let shares = b.ram_shares.iter().map(|s| s.arn.clone());
        let aggregators = b.config_aggregators.iter().map(|a| a.arn.clone());
        let stack_sets = b.stack_sets.iter().map(|s| s.arn.clone());
        let policies = b
            .resource_policies
            .iter()
            .map(|p| format!("{} in {}", p.arn, p.region));
        trails
            .chain(shares)
            .chain(aggregators)
            .chain(stack_sets)
            .chain(policies)
            .collect()
    };
    let text = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
    // A bucket is global: its policy is read whatever the regions, in the
    // bucket's own region. A topic is read in its region only.
    let us: BTreeSet<String> = [
        text(&made["trails"]["us-east-1"]),
        text(&made["shares"]["us-east-1"]),
        format!("{} in us-east-1", text(&made["topics"]["us-east-1"])),
        format!("{} in eu-west-1", text(&made["bucket"])),
    ]
    .into();
    let eu: BTreeSet<String> = [
        text(&made["trails"]["eu-west-1"]),
        text(&made["shares"]["eu-west-1"]),
        text(&made["aggregator"]),
        text(&made["stack_set"]),
        format!("{} in eu-west-1", text(&made["topics"]["eu-west-1"])),
    ]
    .into();

    let configured = run(Regions::Configured);
    assert_eq!(configured.regions, ["us-east-1"]);
    assert_eq!(arns(&configured), us, "one region: eu-west-1's are missed");
    assert!(
        configured.bundle.gaps.is_empty(),
        "{:?}",
        configured.bundle.gaps
    );

    let both = run(Regions::Listed(vec![
        "us-east-1".into(),
        "eu-west-1".into(),
    ]));
    assert_eq!(both.regions, ["eu-west-1", "us-east-1"]);
    assert_eq!(arns(&both), us.union(&eu).cloned().collect());
    let b = &both.bundle;
    assert_eq!(
        b.cloudtrail_trails.len(),
        2,
        "the multi-region trail, seen from both regions, is kept once: {:?}",
        b.cloudtrail_trails
    );
    assert_eq!(b.ram_shares.len(), 2);
    assert!(b.gaps.is_empty(), "{:?}", b.gaps);

    let enabled = run(Regions::Enabled);
    assert!(
        enabled
            .actions_used
            .contains(&orgpool_org::live::LIST_REGIONS),
        "{:?}",
        enabled.actions_used
    );
    let gaps = &enabled.bundle.gaps;
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].api, "account:ListRegions");
    assert!(gaps[0].error.ends_with("read us-east-1 only"), "{gaps:?}");
    assert_eq!(enabled.regions, ["us-east-1"]);
    assert_eq!(arns(&enabled), us);

    // Told to skip resource and identity policies: none read, and the
    // bundle says so.
    let skipped = run_with(Regions::Configured, false);
    assert!(skipped.bundle.resource_policies.is_empty());
    assert_eq!(skipped.resource_policies_read, 0);
    assert_eq!(skipped.identity_policies_read, 0);
    let gap_apis: Vec<&str> = skipped.bundle.gaps.iter().map(|g| g.api.as_str()).collect();
    let mut expected_gaps = orgpool_org::live::POLICY_READS.to_vec();
    expected_gaps.push(orgpool_org::live::GET_ACCOUNT_AUTHORIZATION_DETAILS);
    assert_eq!(gap_apis, expected_gaps);
    assert!(
        !skipped.actions_used.iter().any(|a| a.starts_with("s3:")
            || a.starts_with("sns:")
            || *a == orgpool_org::live::GET_ACCOUNT_AUTHORIZATION_DETAILS),
        "{:?}",
        skipped.actions_used
    );
}
