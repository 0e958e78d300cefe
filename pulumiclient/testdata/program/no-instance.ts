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

// const db = new aws.rds.Instance("app", {});
const note = "new aws.rds.Instance( is not called here";
