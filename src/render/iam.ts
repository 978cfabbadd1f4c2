import type { Manifest } from "../manifest.js";

/**
 * What the orchestrator's IAM role must allow, by resource: every AWS call the
 * orchestrator makes (its consumer's and its sink's SDK interfaces) and the
 * calls KEDA makes as that role to read the backlog. The service-account
 * overlays' comment is rendered from it, and test/unit/iam.test.ts holds it to
 * the SDK calls in the rendered Go code.
 */
export interface IamGrant {
  /** IAM actions, service-prefixed (sqs:ReceiveMessage). */
  actions: string[];
  /** What they apply to, as the comment names it. */
  resource: string;
}

export interface IamNames {
  queueName: string;
  streamName: string;
  leaseTable: string;
  deadLetterTable: string;
  resultsTable: string;
}

export function orchestratorIam(m: Manifest, names: IamNames): IamGrant[] {
  const grants: IamGrant[] = [];
  if (m.orchestrator.ingress === "sqs") {
    grants.push(
      // GetQueueUrl at start-up; GetQueueAttributes for the redrive policy (and KEDA, for the depth);
      // DeleteMessageBatch and ChangeMessageVisibilityBatch are authorized as their single forms.
      {
        actions: ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"],
        resource: `queue ${names.queueName}`,
      },
      { actions: ["sqs:GetQueueUrl", "sqs:SendMessage"], resource: "its dead-letter queue (the redrive policy's deadLetterTargetArn)" },
    );
  }
  if (m.orchestrator.ingress === "kinesis") {
    grants.push(
      // DescribeStreamSummary is also KEDA's shard count.
      {
        actions: ["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:GetShardIterator", "kinesis:GetRecords"],
        resource: `stream ${names.streamName}`,
      },
      { actions: ["dynamodb:Scan", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], resource: `lease table ${names.leaseTable}` },
      { actions: ["dynamodb:PutItem"], resource: `dead-letter table ${names.deadLetterTable}` },
    );
  }
  if (m.orchestrator.ingress !== "http" && m.orchestrator.sink === "dynamodb") {
    grants.push({ actions: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"], resource: `results table ${names.resultsTable}` });
  }
  return grants;
}

/**
 * The IAM action an SDK operation is authorized as: the name itself, except
 * SQS's batch calls, which IAM authorizes as their single forms.
 */
export function iamAction(service: string, operation: string): string {
  const prefix = { sqs: "sqs", kinesis: "kinesis", dynamodb: "dynamodb" }[service] ?? service;
  const op = prefix === "sqs" ? operation.replace(/Batch$/, "") : operation;
  return `${prefix}:${op}`;
}
