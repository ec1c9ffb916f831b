// hello answers with a greeting, "$GREETING, <name>!", where name comes from
// the query string (?name=) and defaults to "world": ../hello in Node.js, an
// ES module as a user deploys it to Lambda's nodejs20.x runtime with the
// handler setting index.handler.
export const handler = async (event) => {
  const greeting = process.env.GREETING || 'Hello';
  const name = event.queryStringParameters?.name || 'world';
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    body: `${greeting}, ${name}!\n`,
  };
};
