/** How the load clients connect: timeouts, keepalive, Nagle, the MQTT driver and credentials (set by the coordinator, read by the drivers). */
export interface ClientOptions {
  connectTimeoutMs: number;
  keepaliveSeconds: number;
  noDelay: boolean;
  /** The MQTT client driver (the coordinator always sets it; absent: lean). */
  driver?: 'lean' | 'mqttjs';
  /** MQTT CONNECT user name and password (Scenario.credentials); absent: none sent. */
  username?: string;
  password?: string;
}
