import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { getPostgresDbUrl } from "../common/utils";
import {
  createAllIpv4EgressRule,
  createIpv4IngressRule,
} from "../common/securityGroups";

const config = new pulumi.Config();
const env = pulumi.getStack();

const networking = new pulumi.StackReference(`planx/networking/${env}`);
const vpcId = networking.requireOutput("vpcId");

const dbSecurityGroup = new aws.ec2.SecurityGroup("db-sg", {
  description: "Security group for RDS instance",
  vpcId,
});
createIpv4IngressRule(dbSecurityGroup.id, "db", [22]);
createIpv4IngressRule(dbSecurityGroup.id, "db", [5432]);
createAllIpv4EgressRule(dbSecurityGroup.id, "db-allow-ipv4-out");

// The default postgres16 group enforces SSL; our containers connect without it.
const parameterGroup = new aws.rds.ParameterGroup("parameterGroup", {
  name: "postgres16-force-ssl-off",
  family: "postgres16",
  parameters: [
    {
      applyMethod: "immediate",
      name: "rds.force_ssl",
      value: "0",
    },
    {
      name: "shared_preload_libraries",
      value: "pg_tle,pg_stat_statements,pg_cron",
      applyMethod: "pending-reboot",
    },
  ],
});

const DB_ROOT_USER = "dbuser";
const dbRootPassword = config.requireSecret("db-password");

// No `identifier`: Pulumi names the instance "app" plus a random suffix.
const db = new aws.rds.Instance("app", {
  engine: "postgres",
  engineVersion: "16.11",
  instanceClass: env === "production" ? "db.t3.medium" : "db.t3.small",
  allocatedStorage: env === "production" ? 100 : 20,
  allowMajorVersionUpgrade: true,
  dbSubnetGroupName: networking.requireOutput("dbSubnetGroupId"),
  vpcSecurityGroupIds: [dbSecurityGroup.id],
  username: DB_ROOT_USER,
  password: dbRootPassword,
  skipFinalSnapshot: false,
  finalSnapshotIdentifier: "final-before-deletion",
  publiclyAccessible: true,
  storageEncrypted: true,
  backupRetentionPeriod: env === "production" ? 35 : 1,
  applyImmediately: true,
  parameterGroupName: parameterGroup.name,
  maintenanceWindow: "Mon:00:00-Mon:03:00",
});

const replica = new aws.rds.Instance("replica", {
  engine: "postgres",
  instanceClass: "db.t3.small",
});

export const dbRootUrl = pulumi
  .all([DB_ROOT_USER, dbRootPassword, db.address])
  .apply(([role, password, host]) =>
    getPostgresDbUrl({ role, password, host }),
  );

const userDataBucket = new aws.s3.Bucket("user-data", {
  forceDestroy: false,
});
new aws.s3.BucketCorsConfiguration("user-data-cors", {
  bucket: userDataBucket.id,
  corsRules: [
    {
      allowedHeaders: ["*"],
      allowedMethods: ["GET", "PUT"],
      allowedOrigins: ["*"],
    },
  ],
});
export const apiBucketId = userDataBucket.id;
