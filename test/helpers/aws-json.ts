/**
 * Just enough of the AWS JSON protocol for the tests to read back what a
 * queue preset did (DynamoDB Scan, SQS queue attributes) from moto, without
 * an AWS SDK (validate itself leaves that to the repo's cmd/verify). moto
 * does not verify signatures, so the Authorization header only has to name a
 * region and service.
 */
export async function awsJson<T>(endpoint: string, service: "dynamodb" | "sqs" | "kinesis", target: string, body: object): Promise<T> {
  const date = new Date().toISOString().slice(0, 10).replace(/-/g, "");
  const res = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": target,
      authorization: `AWS4-HMAC-SHA256 Credential=test/${date}/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${target}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

type Attr = { S?: string; N?: string; L?: Attr[]; SS?: string[] };

/** Every item of a table, attribute values flattened to plain JSON. */
export async function scanTable(endpoint: string, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: unknown;
  do {
    const page = await awsJson<{ Items: Record<string, Attr>[]; LastEvaluatedKey?: unknown }>(
      endpoint,
      "dynamodb",
      "DynamoDB_20120810.Scan",
      { TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) },
    );
    for (const item of page.Items) items.push(Object.fromEntries(Object.entries(item).map(([k, v]) => [k, plain(v)])));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

function plain(v: Attr): unknown {
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) return Number(v.N);
  if (v.SS !== undefined) return v.SS;
  if (v.L !== undefined) return v.L.map(plain);
  return v;
}

/** Approximate visible + in-flight messages of a queue, by name. */
export async function queueDepth(endpoint: string, name: string): Promise<number> {
  const { QueueUrl } = await awsJson<{ QueueUrl: string }>(endpoint, "sqs", "AmazonSQS.GetQueueUrl", { QueueName: name });
  const { Attributes } = await awsJson<{ Attributes: Record<string, string> }>(endpoint, "sqs", "AmazonSQS.GetQueueAttributes", {
    QueueUrl,
    AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
  });
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
}
